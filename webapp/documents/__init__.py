"""Documents Sésame hands out: letters and lists as PDF (pdfkit over wkhtmltopdf) and CSV, and the files."""
