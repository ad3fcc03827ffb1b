"""Reading accounts from files and writing results to files, atomically."""
