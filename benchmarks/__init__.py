"""Every ``bench_*`` command and its helpers: the roof, which no product app imports."""
