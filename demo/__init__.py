"""The demo data: accounts, organisations and sample applications built through the real services."""
