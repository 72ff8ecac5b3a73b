package echo

# Echoes its input (the plan), so that a test can compare it with the plan file.
warn contains json.marshal(input)
