// Prints, for each document of a Relay-style map {id: text} in the file argv[2], the hash Apollo
// Client's persisted-query link sends for it: sha256 of print(addTypenameToDocument(doc)).
const { createHash } = require("node:crypto");
const { readFileSync } = require("node:fs");
const { gql } = require("@apollo/client/core");
const { addTypenameToDocument, print } = require("@apollo/client/utilities");

const hashes = {};
for (const [id, text] of Object.entries(JSON.parse(readFileSync(process.argv[2], "utf8")))) {
  const sent = print(addTypenameToDocument(gql(text)));
  hashes[id] = createHash("sha256").update(sent).digest("hex");
}
process.stdout.write(JSON.stringify(hashes) + "\n");
