"""The website's pages, one module per part of the product."""
