"""Starting a draft plan from a Word document: read the .docx into plain blocks, then map them by labels.

`word` reads (python-docx, bounded); `source` is the plain structure it gives; `labels` and
`mapping` are pure and turn that structure into plan data, keeping whatever they cannot place as
text with its location; `report` renders what was done; `service` saves a draft (Django).
"""
