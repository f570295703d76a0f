"""Public procurement data (DECP): contracts imported from the open files, each buyer's yearly
figures of social considerations and inclusive suppliers, and the public ranking built on them."""
