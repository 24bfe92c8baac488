"""The SSO engine beside Sésame: LemonLDAP::NG's configuration, its private instances, the demo service."""
