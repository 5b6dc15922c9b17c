"""Character recognition engines behind one small protocol."""
