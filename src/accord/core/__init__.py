"""Rules every part of accord shares; imports no feature package."""
