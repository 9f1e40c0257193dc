"""What `onewindow bench flow` and `onewindow chaos` share: a stack of its own and its control
(own_stack, control), the offered load (mix, pacing, generator), where the one results are
observed (observer), the legacy systems' control and ledger (legacy), the event log's positions
(positions), CPU time from /proc (cpu) and the figures (figures)."""
