package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The identity every generated plan runs as: the account of testdata/plans (README "Common
// parameters") and a CI role session like the one in the hand-written plans.
const (
	accountID  = "111122223333"
	callerArn  = "arn:%s:sts::111122223333:assumed-role/TerraformDeploy/gitlab-ci-4471923"
	callerUser = "AROAYS2NWX3E2ZJ6QKMVH:gitlab-ci-4471923"
)

// stsStub answers sts:GetCallerIdentity, the only AWS call the provider makes while it plans the
// scenarios (credential validation, the account id, data.aws_caller_identity). Any other request
// is an error that names the action, so a scenario needing another API fails loudly.
type stsStub struct {
	srv *http.Server
	url string
}

func startSTS() (*stsStub, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the STS stub: %w", err)
	}
	s := &stsStub{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(serveSTS)}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *stsStub) Close() error { return s.srv.Close() }

func serveSTS(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.Form.Get("Action")
	if action != "GetCallerIdentity" {
		stsError(w, action)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>%s</Arn>
    <UserId>%s</UserId>
    <Account>%s</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>8f4c2f1e-0d3a-4c55-9b1e-6f1f2d0b7a11</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`, fmt.Sprintf(callerArn, signedPartition(r)), callerUser, accountID)
}

// signedPartition is the partition of the region the request is signed for (its SigV4
// credential scope, .../<date>/<region>/sts/aws4_request): the provider takes its partition, and
// data.aws_partition's, from the caller's ARN, so a scenario in cn-north-1 must be answered in
// aws-cn.
func signedPartition(r *http.Request) string {
	_, scope, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	parts := strings.Split(scope, "/")
	if len(parts) < 3 {
		return "aws"
	}
	switch region := parts[2]; {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func stsError(w http.ResponseWriter, action string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>InvalidAction</Code>
    <Message>karpgate STS stub: action %s is not stubbed</Message>
  </Error>
  <RequestId>8f4c2f1e-0d3a-4c55-9b1e-6f1f2d0b7a12</RequestId>
</ErrorResponse>
`, url.QueryEscape(action))
}
