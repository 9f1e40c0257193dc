"""One module per legacy protocol style (each builds the router, or for psb the topic
consumer, of one department), plus the SMS and SMTP stand-ins and the control API."""
