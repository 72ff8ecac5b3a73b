# Review of wildcard resources in inline role policies (conftest test --namespace terraform.iam).
package terraform.iam

import data.lib.tf

violation contains {"msg": msg, "details": {"sid": st.Sid, "actions": st.Action}} if {
	some rc in tf.changes_of_type("aws_iam_role_policy")
	doc := json.unmarshal(rc.change.after.policy)
	some st in doc.Statement
	st.Effect == "Allow"
	st.Resource == "*"
	msg := sprintf("%s: statement %s allows %v on every resource", [rc.address, st.Sid, st.Action])
}
