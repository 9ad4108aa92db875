"""XLSForm and XForm handling: pure functions, file or bytes in, data out."""
