"""Every root Mutation field is classified here: it creates something a person sees, and then
takes the optional `idempotencyKey: String` (app.api.idempotency), can answer with
`IdempotencyKeyReusedError` and its trusted documents pass the key; or it is excluded, with
the reason. A new mutation fails here until someone decides which it is."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    OperationDefinitionNode,
    build_schema,
    get_named_type,
    parse,
)

ROOT = Path(__file__).resolve().parents[2]

CREATING = {
    "startThread",
    "sendMessage",
    "forwardMessage",
    "postAnnouncement",
    "recordDayEntry",
    "recordGroupEntries",
    "registerAbsence",
    "addPhoto",
    "addPickupPerson",
    "openVacationSurvey",
    "addEmergencyContact",
    "signMedicationConsent",
    "placeLegalHold",
    "requestMyDataExport",
}

IDEMPOTENT_BY_ITS_OWN_ID = "carries a client-made eventId: a retry is applied once already"
CHANGES_WHAT_EXISTS = "changes, marks or removes what exists: a retry sets the same state again"
ACCOUNT = "a sign-in, session or credential step, not content anyone reads"
ADMINISTRATION = (
    "an administrator's set-up of the institution at a desk, not something parents or staff"
    " are sent; a duplicate shows in the lists and is removed there (a closed day is refused"
    " as a duplicate already). Candidates for the key in a later round."
)

EXCLUDED = {
    # Sign-in, sessions, devices and credentials.
    "login": ACCOUNT,
    "logout": ACCOUNT,
    "revokeSession": ACCOUNT,
    "changePassword": ACCOUNT,
    "pairDevice": (
        "answers with the device's token, shown once and stored only hashed: no replay could"
        " give it again; an unused device is revoked from the device list"
    ),
    "revokeDevice": ACCOUNT,
    "setPersonalPin": ACCOUNT,
    "switchTabletUser": ACCOUNT,
    "kioskCode": "a single-use code for the kiosk, shown and forgotten: no one else sees it",
    "unlockLogin": ACCOUNT,
    "verifySecondFactor": ACCOUNT,
    "enrolSecondFactor": (
        "answers with a new authenticator secret, shown once and stored only encrypted: a"
        " retry starts the enrolment again with a new secret, which replaces the unconfirmed one"
    ),
    "confirmSecondFactor": ACCOUNT,
    "regenerateRecoveryCodes": ACCOUNT,
    "disableSecondFactor": ACCOUNT,
    "exchangeLoginCode": ACCOUNT,
    "invitationSignInOptions": "reads what an invitation offers; changes nothing but a throttle",
    "startInvitationLogin": (
        "checks an invitation's token without spending it and answers with a new single-use"
        " start address: a retry makes another, and only the one the browser opens is used"
    ),
    "registerPushDevice": (
        "idempotent by the token itself: registering it again refreshes the one row it has"
    ),
    "unregisterPushDevice": ACCOUNT,
    # Presence: the event log's key is the client's own eventId (the model for the rest).
    "checkIn": IDEMPOTENT_BY_ITS_OWN_ID,
    "checkOut": IDEMPOTENT_BY_ITS_OWN_ID,
    "undoPresenceEvent": IDEMPOTENT_BY_ITS_OWN_ID,
    "kioskCheck": IDEMPOTENT_BY_ITS_OWN_ID,
    "kioskSignIn": "a PIN step that lists the guardian's children and creates nothing",
    "confirmCheckout": CHANGES_WHAT_EXISTS,
    # Set, update, mark, remove: the same request twice leaves the same state.
    "updateAnnouncement": CHANGES_WHAT_EXISTS,
    "deleteAnnouncement": CHANGES_WHAT_EXISTS,
    "markAnnouncementRead": CHANGES_WHAT_EXISTS,
    "confirmAnnouncement": CHANGES_WHAT_EXISTS,
    "reportWell": CHANGES_WHAT_EXISTS,
    "cancelAbsence": CHANGES_WHAT_EXISTS,
    "updatePickupPerson": CHANGES_WHAT_EXISTS,
    "removePickupPerson": CHANGES_WHAT_EXISTS,
    "setPickupCodeword": CHANGES_WHAT_EXISTS,
    "setPickupPersonPhoto": CHANGES_WHAT_EXISTS,
    "setPhotoConsent": CHANGES_WHAT_EXISTS,
    "editMessage": CHANGES_WHAT_EXISTS,
    "deleteMessage": CHANGES_WHAT_EXISTS,
    "markThreadRead": CHANGES_WHAT_EXISTS,
    "setThreadFlags": CHANGES_WHAT_EXISTS,
    "leaveThread": CHANGES_WHAT_EXISTS,
    "addThreadParticipants": "adds people to a thread; one already in it is not added again",
    "removeThreadParticipant": CHANGES_WHAT_EXISTS,
    "markThreadSensitive": CHANGES_WHAT_EXISTS,
    "deleteThread": CHANGES_WHAT_EXISTS,
    "setAutoReply": CHANGES_WHAT_EXISTS,
    "setInboxAutoReply": CHANGES_WHAT_EXISTS,
    "updateNotificationSettings": CHANGES_WHAT_EXISTS,
    # The child's record and the contact list.
    "setChildRecord": "one record per child: a retry writes the same texts again",
    "updateEmergencyContact": CHANGES_WHAT_EXISTS,
    "removeEmergencyContact": CHANGES_WHAT_EXISTS,
    "withdrawMedicationConsent": "withdrawing again changes nothing (the first time stays)",
    "setContactSharing": "one choice per guardian and child: a retry sets the same choice",
    "releaseLegalHold": "a retry is refused as already released; the hold stays released",
    "correctDayEntry": "a retry with the same values changes nothing (no new version)",
    "deleteDayEntry": CHANGES_WHAT_EXISTS,
    "confirmIncident": CHANGES_WHAT_EXISTS,
    "updatePhoto": CHANGES_WHAT_EXISTS,
    "deletePhoto": CHANGES_WHAT_EXISTS,
    "setPickupPlan": "one plan per child and day (or weekday): a retry writes the same plan",
    "clearPickupPlan": CHANGES_WHAT_EXISTS,
    "answerPickupCompanion": CHANGES_WHAT_EXISTS,
    "setGoHomeAlone": CHANGES_WHAT_EXISTS,
    "sendChildHome": (
        "sets today's plan of the child (one per day); a retry notifies the guardians again,"
        " which the notification's own deduplication is for"
    ),
    "removeVacationSurvey": CHANGES_WHAT_EXISTS,
    "answerVacationSurvey": "one answer per child and day: a retry writes the same answers",
    # The institution's administration.
    "updateInstitution": CHANGES_WHAT_EXISTS,
    "updateInstitutionSettings": CHANGES_WHAT_EXISTS,
    "addClosedDay": ADMINISTRATION,
    "removeClosedDay": CHANGES_WHAT_EXISTS,
    # The calendar (issue 16): each sets a state (these days closed with this label, these
    # reopened, this holiday open or not); a retry finds the state set and sets it again.
    "closeDays": CHANGES_WHAT_EXISTS,
    "reopenDays": CHANGES_WHAT_EXISTS,
    "keepPublicHolidayOpen": CHANGES_WHAT_EXISTS,
    # The yearly move-up (issue 16): one plan per child and day, so the same plan again
    # finds itself and changes nothing; undo deletes plans, and again finds none to delete.
    "planGroupMoves": "one plan per child and day: a retry finds the same plan, nothing new",
    "cancelGroupMoves": CHANGES_WHAT_EXISTS,
    "createGroup": ADMINISTRATION,
    "updateGroup": CHANGES_WHAT_EXISTS,
    "deactivateGroup": CHANGES_WHAT_EXISTS,
    "createChild": ADMINISTRATION,
    "updateChild": CHANGES_WHAT_EXISTS,
    "moveChild": CHANGES_WHAT_EXISTS,
    "deactivateChild": CHANGES_WHAT_EXISTS,
    "addStaff": ADMINISTRATION,
    "updateStaff": CHANGES_WHAT_EXISTS,
    "deactivateStaff": CHANGES_WHAT_EXISTS,
    "addGuardian": ADMINISTRATION,
    "updateGuardianLink": CHANGES_WHAT_EXISTS,
    "removeGuardianLink": CHANGES_WHAT_EXISTS,
    # Invitations and institutions from nothing (issue 13).
    "acceptInvitation": (
        "spends a single-use token and answers with a new session token, shown once: a retry"
        " is refused as a used token, never a second session"
    ),
    "resendInvitation": (
        "sends a new link on purpose (the previous one dies): a retry sends one more, which"
        " is what was asked"
    ),
    "revokeInvitation": CHANGES_WHAT_EXISTS,
    "inviteAdmin": "a retry is refused as ALREADY_MEMBER: one admin membership per person",
    "createInstitution": "a retry is refused as DUPLICATE_NAME within the municipality",
    "closeInstitution": CHANGES_WHAT_EXISTS,
    # Issue 13: one's own account.
    "requestPasswordReset": (
        "mails a link and answers only that it is on its way; a retry mails another link"
        " (every one valid an hour, all voided by the reset), within the throttle"
    ),
    "resetPassword": "a single-use token: a retry is refused as used, and the password is set",
    "updateMyProfile": CHANGES_WHAT_EXISTS,
    "changeEmail": "a retry mails a new confirmation link, which voids the earlier one",
    "confirmEmailChange": "a single-use token: a retry is refused as used, the address is set",
}


def _schema():  # type: ignore[no-untyped-def]
    return build_schema((ROOT / "graphql" / "schema.graphql").read_text())


def test_every_mutation_is_classified():
    mutation = _schema().mutation_type
    assert mutation is not None
    fields = set(mutation.fields)
    assert not CREATING & set(EXCLUDED), "a mutation is either creating or excluded"
    unclassified = fields - CREATING - set(EXCLUDED)
    assert not unclassified, f"decide: creating (takes idempotencyKey) or excluded: {unclassified}"
    assert not (CREATING | set(EXCLUDED)) - fields, "a listed mutation is gone from the schema"


def test_every_creating_mutation_takes_the_key_and_can_refuse_its_reuse():
    schema = _schema()
    assert schema.mutation_type is not None
    for name in sorted(CREATING):
        field = schema.mutation_type.fields[name]
        key = field.args.get("idempotencyKey")
        assert key is not None, f"{name} takes no idempotencyKey"
        assert not isinstance(key.type, GraphQLNonNull), f"{name}: the key is optional"
        assert get_named_type(key.type).name == "String", name
        result = get_named_type(field.type)
        assert isinstance(result, GraphQLUnionType), name
        members = {member.name for member in result.types}
        assert "IdempotencyKeyReusedError" in members, f"{name}'s result cannot say so"
    error = schema.type_map["IdempotencyKeyReusedError"]
    assert isinstance(error, GraphQLObjectType)
    assert {i.name for i in error.interfaces} == {"UserError"}


def test_every_creating_resolver_is_wrapped_by_the_mechanism():
    """The argument alone would be ignored: the resolver must go through `idempotent`."""
    from strawberry.utils.str_converters import to_camel_case

    from app.api.idempotency import MARK
    from app.root.schema import Mutation

    wrapped = {
        to_camel_case(field.python_name)
        for field in Mutation.__strawberry_definition__.fields
        if field.base_resolver is not None
        and getattr(field.base_resolver.wrapped_func, MARK, False)
    }
    assert wrapped == CREATING


def test_the_trusted_documents_pass_the_key():
    """Production accepts only the documents: an app can send a key only where they pass it."""
    for path in sorted((ROOT / "graphql" / "operations").glob("*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            variables = {v.variable.name.value for v in definition.variable_definitions or ()}
            for selection in definition.selection_set.selections:
                field_name = selection.name.value  # type: ignore[attr-defined]
                if field_name not in CREATING:
                    continue
                arguments = {a.name.value for a in selection.arguments or ()}  # type: ignore[attr-defined]
                where = f"{path.name}: {definition.name.value if definition.name else '?'}"
                assert "idempotencyKey" in variables, where
                assert "idempotencyKey" in arguments, where
