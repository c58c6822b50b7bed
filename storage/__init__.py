"""Where attachment bytes are kept: a file store behind one small interface (`storage.store`).

It sits above the domain and below messaging and the GraphQL edge: it does I/O outside the
database, so the domain never imports it; the domain stores and reads only the rows that
name the files. Whoever writes such rows writes the files first, and removes them when the
transaction does not commit (graph/uploads.py, messaging/inbound_mail.py).
"""
