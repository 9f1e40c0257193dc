"""notifier: one result, once — assembles and delivers every notice to the applicant."""

SERVICE = "notifier"
