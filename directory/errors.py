"""The exceptions the directory layer raises; callers never see the LDAP client's own."""


class DirectoryError(Exception):
    """Base of every error raised by `directory`."""


class DirectoryUnavailable(DirectoryError):
    """The directory server cannot be reached or did not answer."""


class ProviderUnavailable(DirectoryUnavailable):
    """The provider, where every write goes, does not answer; its consumers still serve reads."""


class WriteOutcomeUnknown(DirectoryUnavailable):
    """A write was sent but its answer was lost: it may or may not have been applied."""


class InvalidCredentials(DirectoryError):
    """A bind was refused: unknown identity, wrong password, or a locked account."""


class AccountLocked(InvalidCredentials):
    """The directory locked the account after too many failures: even the right password is refused.
    `until` is when the lock ends (None: until an administrator lifts it)."""

    def __init__(self, until=None):
        self.until = until
        super().__init__(f"account locked until {until}")


class NoRightsNow(DirectoryError):
    """The password is right, but the staff member holds no right today: every delegation they had has
    ended (`ended`: the last day of the latest) or none has begun yet (`starts`: the first day of the next)."""

    def __init__(self, ended=None, starts=None):
        self.ended, self.starts = ended, starts
        super().__init__(f"no right today (ended {ended}, starts {starts})")


class InsufficientRights(DirectoryError):
    """The identity we are bound as may not do this."""


class NotFound(DirectoryError):
    """The entry does not exist, or is outside what the caller may see."""


class Conflict(DirectoryError):
    """The entry changed since it was read, or a value must be unique and is taken."""


class ChangedMeanwhile(Conflict):
    """The entry is no longer as it was read: a value a conditional modify deletes is gone, or one it
    adds or names is there already."""


class AlreadyExists(ChangedMeanwhile):
    """An add found an entry of that name already there."""


class IdentifierTaken(Conflict):
    """A value the directory keeps unique (slapo-unique: the identifier) belongs to another entry."""


class RefusedByPolicy(Conflict):
    """The password policy (ppolicy) refused the change."""


class PageOutOfRange(DirectoryError):
    """A sorted page past the last one (a VLV error): no rows, still a total."""


class ValidationFailed(DirectoryError):
    """A change was refused; `reasons` says why, in words for people."""

    def __init__(self, reasons):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


class FieldsRefused(ValidationFailed):
    """A form's values refused before anything was stored: `fields` maps each field to its reason."""

    def __init__(self, fields: dict):
        self.fields = dict(fields)
        super().__init__(self.fields.values())
