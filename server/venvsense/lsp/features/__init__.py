"""The language server's features, one module each; ``venvsense.lsp.handlers`` registers them in one table."""
