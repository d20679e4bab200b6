"""Workbench views, one module per area. Views are doors: they load through selectors, parse a
form, call one service and render (STYLE.md §5)."""
