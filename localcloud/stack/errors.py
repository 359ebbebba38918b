"""The one error of the stack package."""


class TemplateError(ValueError):
    """The template (or a value in it) cannot be understood, translated or resolved."""
