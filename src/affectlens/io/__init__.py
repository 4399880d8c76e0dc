"""Reading inputs and writing outputs in the supported file formats."""
