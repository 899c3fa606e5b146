"""Scan pages made ahead of time (issue 17): a scan serves stored bytes instead of reading and rendering.

Each instrument's lookup page is stored per language and format with its gzip form, its ETag and the last day it
stays true (``true_until``). A database trigger on every table the page shows deletes an instrument's stored pages
in the writing transaction itself (migration 0031), so no writer can forget it; the next scan, or the worker at
midnight, renders the page again. The date a page is "as of" changes every day without changing anything else, so
it is patched into the stored bytes (``packing``) rather than making every page one day old.
"""
