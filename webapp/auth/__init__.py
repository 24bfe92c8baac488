"""Staff sign-in and sign-out: by password against the directory, or through the trusted SSO proxy."""
