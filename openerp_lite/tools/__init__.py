"""Small helpers at the bottom layer: configuration, logging, file locations."""
