"""The one place that knows every slice: schema assembly, the request context and the
registry of models. Nothing imports it but app.server and app.cli."""
