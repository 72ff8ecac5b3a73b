package engine

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/version"

	"github.com/karpgate/karpgate/internal/findings"
	"github.com/karpgate/karpgate/internal/policyimage"
	regofs "github.com/karpgate/karpgate/rego"
)

// The embedded bundle compiled ahead of time (internal/policyimage): a scan with no user code
// decodes the compiled modules and runs only the compiler stages that build the compiler's own
// tables, instead of parsing and compiling the sources. Which way a policy was compiled never
// changes a result: TestImageCompilesLikeTheSources requires the same modules and the same
// findings on every scenario plan.

// imageStages are the stages run on an image's modules: those that build the tables evaluation
// reads (module and rule trees, rule and comprehension indices, the generator of local variable
// names). Every other stage rewrites or checks modules, and an image holds modules every stage has
// already rewritten and checked. The rule dependency graph is left out too: only type checking
// reads it (of rules, or of a query that uses `with`, which karpgate's query does not).
var imageStages = map[ast.StageID]bool{
	ast.StageInitLocalVarGen:           true,
	ast.StageRemoveImports:             true,
	ast.StageSetModuleTree:             true,
	ast.StageSetRuleTree:               true,
	ast.StageBuildRuleIndices:          true,
	ast.StageBuildComprehensionIndices: true,
}

// imageCatalog is what an image keeps beside the modules: the rule catalog, which is built from
// annotations the image does not carry.
type imageCatalog struct {
	Catalog []findings.Rule          `json:"catalog"`
	ByPkg   map[string]findings.Rule `json:"by_package"`
}

// imageKey names what an image must have been compiled from: the OPA version, the compiler
// settings of compileEmbedded, and every embedded module's name and text.
func imageKey() ([]byte, error) {
	h := sha256.New()
	fmt.Fprintf(h, "opa %s\nstrict print=false skip=%v\n", version.Version, embeddedChecks())
	err := fs.WalkDir(regofs.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		src, err := fs.ReadFile(regofs.FS(), p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(src))
		h.Write(src)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// BuildImage compiles the embedded bundle and returns it as an image (what `make build` embeds).
func BuildImage() ([]byte, error) {
	key, err := imageKey()
	if err != nil {
		return nil, err
	}
	mods, _, err := embeddedModules(false, false)
	if err != nil {
		return nil, err
	}
	c, err := compileEmbedded(mods, capabilities(false), false)
	if err != nil {
		return nil, err
	}
	catalog, byPkg, err := buildCatalog(c, nil)
	if err != nil {
		return nil, err
	}
	extra, err := json.Marshal(imageCatalog{Catalog: catalog, ByPkg: byPkg})
	if err != nil {
		return nil, err
	}
	return policyimage.Encode(c.Modules, key, extra)
}

// errNoImage means the binary carries no image of its sources (built without `make build`, or
// from edited sources): the engine compiles the sources.
var errNoImage = errors.New("no policy image of these sources")

// compileImage compiles an image: its modules through imageStages only.
func compileImage(img []byte, caps *ast.Capabilities) (*ast.Compiler, imageCatalog, error) {
	var cat imageCatalog
	if len(img) == 0 {
		return nil, cat, errNoImage
	}
	key, err := imageKey()
	if err != nil {
		return nil, cat, &PolicyError{Problem: "embedded policy: " + err.Error()}
	}
	mods, extra, err := policyimage.Decode(img, key)
	if errors.Is(err, policyimage.ErrStale) {
		return nil, cat, errNoImage
	}
	if err != nil {
		return nil, cat, &PolicyError{File: "the policy image built into karpgate", Problem: err.Error() + " (rebuild karpgate)"}
	}
	if err := json.Unmarshal(extra, &cat); err != nil {
		return nil, cat, &PolicyError{File: "the policy image built into karpgate", Problem: "catalog: " + err.Error() + " (rebuild karpgate)"}
	}
	var skip []ast.StageID
	for _, id := range ast.AllStages() {
		if !imageStages[id] {
			skip = append(skip, id)
		}
	}
	c := newCompiler(caps, false).WithSkipStages(skip...)
	c.Compile(mods)
	if c.Failed() {
		return nil, cat, compileError(c.Errors)
	}
	return c, cat, nil
}
