//! (replaced by the Windows event parsers)
