"""MRZ core: layouts, parsing, repair, dates. Pure standard library."""
