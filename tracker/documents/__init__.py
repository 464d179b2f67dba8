"""PDFs and workbooks the tool writes, and the zh-TW labels they use."""
