"""One module per resource type, each holding its ROW (inventory/table.py: Row, rows()). A module here is a
type: the table walks the package, so adding a type is adding a file named after it (ec2:key-pair ->
ec2_key_pair.py), its remover in removal/removers/ and its test (tests/test_types.py fails until they agree)."""
