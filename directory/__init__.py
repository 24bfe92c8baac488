"""Sésame's Flask-free core: the account model, its rules, and the LDAP directory behind it."""
