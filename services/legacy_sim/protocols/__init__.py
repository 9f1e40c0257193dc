"""One module per legacy protocol style; each builds the router of one department."""
