#!/usr/bin/python3
"""Prints an .xlsx workbook's cells as JSON, {sheet: [[value, ...], ...]}, read with openpyxl
(Debian's python3-openpyxl): an independent reader of what Loa writes."""
import io
import json
import sys

import openpyxl

# From its bytes: a browser's download has no file name ending to go by.
with open(sys.argv[1], 'rb') as f:
    book = openpyxl.load_workbook(io.BytesIO(f.read()), read_only=True, data_only=True)
print(json.dumps({sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
                  for sheet in book.worksheets}, ensure_ascii=False))
