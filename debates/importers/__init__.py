"""Importers of consultations published by other platforms.

`capcollectif_csv` reads the `;`-separated export of a Cap Collectif
consultation step; `capcollectif_api` reads a folder of JSON answers of a Cap
Collectif API (`/api/opinions/<id>`, 2015). Both validate the whole input
before writing, write in one transaction, and recognise an input they already
imported. docs/imports.md says what maps to what; the management commands
`import_capcollectif_csv` and `import_capcollectif_api` are thin wrappers.
"""
