package echo

# Echoes input.plan, so that a test can compare it with the plan file.
warn contains json.marshal(input.plan)
