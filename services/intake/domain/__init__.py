"""intake's domain: pure rules and models, no I/O."""
