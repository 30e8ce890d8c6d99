"""One module per live source; importing a module registers its adapter by name."""
