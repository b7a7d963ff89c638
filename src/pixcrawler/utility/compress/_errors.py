"""The one exception the packaging API raises for bad input or an unreadable dataset."""


class PackagingError(ValueError):
    """A dataset cannot be packaged or an archive cannot be read as asked (the message says why)."""
