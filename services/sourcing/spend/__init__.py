"""An organisation's supplier spend: files, imports, their lines and the suppliers matched to the catalog."""
