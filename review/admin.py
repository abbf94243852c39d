"""Review in the admin (being built). ``REVIEW_INLINES`` are added to the application's admin page."""

REVIEW_INLINES: tuple = ()
