"""What the attendance sub-slices share: the clock and the institution's opening hours."""
