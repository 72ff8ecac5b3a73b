package terraform.iam

import data.lib.tf

violation[{"msg": msg, "details": {"sid": st.Sid, "actions": st.Action}}] {
	rc := tf.changes_of_type("aws_iam_role_policy")[_]
	doc := json.unmarshal(rc.change.after.policy)
	st := doc.Statement[_]
	st.Effect == "Allow"
	st.Resource == "*"
	msg := sprintf("%s: statement %s allows %v on every resource", [rc.address, st.Sid, st.Action])
}
