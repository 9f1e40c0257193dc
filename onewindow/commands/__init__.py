"""The `onewindow` command's commands, one module per group; onewindow/cli.py registers them."""
