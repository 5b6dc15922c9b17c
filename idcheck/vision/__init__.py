"""Image side: decoding, locating and rectifying the MRZ (OpenCV + numpy)."""
