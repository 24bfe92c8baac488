"""Every LDAP attribute, object class and branch name the product uses, in one place."""

# Object-identifier arc minted once from a random UUID (2.25.<uuid as integer>).
OID_ARC = "2.25.254239115008707420830937779349686969087"

# Branches under the configured suffix.
STUDENTS = "ou=students"
GUARDIANS = "ou=guardians"
STAFF = "ou=staff"
ESTABLISHMENTS = "ou=establishments"
GROUPS = "ou=groups"
POLICIES = "ou=policies"
SERVICES = "ou=services"
AUDIT = "ou=audit"
BRANCHES = (STUDENTS, GUARDIANS, STAFF, ESTABLISHMENTS, GROUPS, POLICIES, SERVICES, AUDIT)

ADMIN_GROUP_CN = "identity-admins"
MIGRATIONS_CN = "sesame-migrations"

# Object classes.
OC_ACCOUNT = "sesameAccount"            # auxiliary, on inetOrgPerson: students and guardians
OC_STAFF = "sesameStaff"                # auxiliary, on inetOrgPerson: school staff
OC_ESTABLISHMENT = "sesameEstablishment"
OC_SCHOOL_CLASS = "sesameSchoolClass"
OC_MEF = "sesameMefEntry"
OC_AUDIT = "sesameAuditRecord"
OC_JOB = "sesameJobRecord"              # auxiliary, on the audit record of a bulk job
OC_PERSON = "inetOrgPerson"
OC_GROUP = "groupOfNames"               # the identity team (ADMIN_GROUP_CN)
OC_CREDENTIALS = "sesameCredentials"    # auxiliary: password stamp, staff second factor (migration 0009)

# Standard attributes.
UID = "uid"
CN = "cn"
SURNAME = "sn"
GIVEN_NAME = "givenName"
DISPLAY_NAME = "displayName"
MAIL = "mail"
USER_PASSWORD = "userPassword"
DESCRIPTION = "description"
ORGANIZATION = "o"
LOCALITY = "l"
MEMBER = "member"
OBJECT_CLASS = "objectClass"
MOBILE = "mobile"                       # inetOrgPerson's: a parent's phone, when a source gives one
PHONE = "telephoneNumber"

# ppolicy and last-bind operational attributes.
PWD_RESET = "pwdReset"
PWD_LAST_SUCCESS = "pwdLastSuccess"
PWD_ACCOUNT_LOCKED_TIME = "pwdAccountLockedTime"
PWD_CHANGED_TIME = "pwdChangedTime"

# Issue 18: a parent's letter language, inetOrgPerson's own (RFC 2798): "en", "ar"...; none: French only.
PREFERRED_LANGUAGE = "preferredLanguage"

# Own attributes (OIDs in migrations/0002_schema.ldif).
ACCOUNT_ID = "sesameAccountId"          # RDN of students and guardians: stable for life
UAI = "sesameUAI"                       # establishment (of attachment, for a student)
EXTERNAL_UAI = "sesameExternalUAI"      # establishments where a student follows a shared course
CLASS_CODE = "sesameClass"
MEF_CODE = "sesameMef"
INE = "sesameINE"
BIRTH_DATE = "sesameBirthDate"
ACCOUNT_STATE = "sesameAccountState"
ACCOUNT_ORIGIN = "sesameAccountOrigin"
NOTIFICATION_DATE = "sesameNotificationDate"
SEALED_PASSWORD = "sesameSealedPassword"
MAIL_VERIFIED = "sesameMailVerified"
SEARCH_KEY = "sesameSearchKey"
SORT_NAME = "sesameSortName"            # surname and given name folded: the order of names
CHILD = "sesameChild"                   # on a guardian: DN of each child
HEAD_OF = "sesameHeadOf"                # on staff: UAIs they head
SUPPORT_FOR = "sesameSupportFor"        # on staff: UAIs they give support to
HEAD_NAME = "sesameHeadName"            # on an establishment: the head's name for the header
MEF_LABEL = "sesameMefLabel"
LAST_JOB = "sesameLastJob"              # the bulk job that last changed an account
ACTOR = "sesameActor"                   # audit: who
ACTION = "sesameAction"                 # audit: what
TARGET = "sesameTarget"                 # audit: on which accounts
JOB_SPEC = "sesameJobSpec"              # a job's audit record: population and options (JSON)
JOB_STATE = "sesameJobState"            # a job's audit record: open, then closed
CREATED = "createTimestamp"
PASSWORD_STAMP = "sesamePasswordStamp"  # replaced at every password change Sésame makes
TOTP_SECRET = "sesameTotpSecret"        # staff: the sealed TOTP secret
TOTP_RECOVERY = "sesameTotpRecovery"    # staff: SHA-256 of each unused recovery code

# Registry imports, « Alimentation » (migration 0010).
LEFT_ON = "sesameLeftOn"                # the day a student left their establishment
LEFT_UAI = "sesameLeftUAI"              # the establishment they left
OC_LEAVER = "sesameLeaver"              # auxiliary: carries the two above
OC_RESERVED = "sesameReservedIdentifier"  # the identifier of a removed account, under ou=reserved
RESERVED = "ou=reserved"

# Delegations, letter settings, staff posts (migration 0013).
OC_DELEGATION = "sesameDelegation"      # below its establishment's entry
OC_LETTER_CONFIG = "sesameLetterConfig"  # auxiliary, on an establishment
OC_STAFF_POST = "sesameStaffPost"       # auxiliary, on staff: where they work (sesameUAI), rights or not
DELEGATE = "sesameDelegate"             # a delegation: the staff member's uid
DELEGATION_KIND = "sesameDelegationKind"
VALID_FROM = "sesameValidFrom"
VALID_UNTIL = "sesameValidUntil"
ENDED_BY = "sesameEndedBy"
LETTER_SETTINGS = "sesameLetterSettings"  # an establishment's letter settings (JSON)
TITLE = "title"                         # a staff member's post: « CPE », « Professeur »...
OC_DATED = "sesameDatedRecord"          # auxiliary, on an audit record: its day (migration 0014)
AUDIT_DAY = "sesameAuditDay"            # YYYYMMDD, Paris time: date ranges are read from its index

# Issue 15 (« Accueil », « Statistiques »): migration 0012.
OC_ACTIVATION = "sesameActivation"      # auxiliary: carries the activation date
ACTIVATION_DATE = "sesameActivationDate"  # when the holder chose their own password (« Activé »)

# Import reports kept with the job's audit record (migration 0011).
OC_IMPORT_RECORD = "sesameImportRecord"     # auxiliary, on an import's audit record
IMPORT_ROWS = "sesameImportRows"            # the rows it applies, as its report names them
IMPORT_OUTCOMES = "sesameImportOutcomes"    # once ended: each row's outcome

# « Alimentation » at a real rentrée (issue 25, migration 0020).
OC_SCHOOLING = "sesameSchooling"        # auxiliary, on a student: level and planned departure
LEVEL = "sesameLevel"                   # a primary school pupil's level as ONDE names it (CP, CE1...)
LEAVES_ON = "sesameLeavesOn"            # the day a student will leave (a DATE_SORTIE still to come)
OC_REGISTRY_SOURCE = "sesameRegistrySource"  # auxiliary, on an establishment
REGISTRY = "sesameRegistry"             # SIECLE, ONDE (a primary school) or Sesame (its own CSV)
EXPORT_DATE = "sesameExportDate"        # when the export last applied to it was made
SCHOOL_YEAR = "sesameSchoolYear"        # that export's school year, e.g. 2027-2028
OC_INE_CLAIM = "sesameIneClaim"         # under ou=ines, named by the INE: one creation per INE
INES = "ou=ines"

# « Doublons » (issue 31, migration 0036): the pairs a search of the directory found, the merges and their undo.
DUPLICATES = "ou=duplicates"            # one entry per pair found, named by its two account ids
OC_DUPLICATE_PAIR = "sesameDuplicatePair"
PAIR_KIND = "sesamePairKind"            # duplicate, or siblings (two people, listed apart for information)
PAIR_SCORE = "sesamePairScore"          # how sure, 0-100
PAIR_EVIDENCE = "sesamePairEvidence"    # the reasons and both accounts as the search read them (JSON)
PAIR_MERGE = "sesamePairMerge"          # the merge that joined the pair, while it can be undone
MERGES = "ou=merges"                    # a merge's record, and below it the account it set aside
OC_MERGE_RECORD = "sesameMergeRecord"
MERGE_KEPT = "sesameMergeKept"          # the account that stays
MERGE_DROPPED = "sesameMergeDropped"    # the account set aside (its entry below the record, for the undo)
MERGE_PLAN = "sesameMergePlan"          # what the merge changed and what the undo needs (JSON)
MERGE_STATE = "sesameMergeState"        # merging, merged, undoing, undone
OC_MERGED_ACCOUNT = "sesameMergedAccount"   # auxiliary, on the account that stays
MERGED_FROM = "sesameMergedFrom"        # the account ids it took in: their history is its history
