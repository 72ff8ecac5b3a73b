package plan

// The keys the schema walk (walk.go) reads, one table per kind of object terraform writes with a
// fixed shape. The walk switches on a key's position in its object's table, so it reads no key
// that is not declared here; and every key declared here, in another case, is rejected wherever a
// fixed-shape object holds it (fastDoc.other), because encoding/json and the tools built on it
// match keys to struct fields whatever their case.

// The document's top-level members.
const (
	docFormatVersion = iota
	docTerraformVersion
	docValues
	docPlannedValues
	docPriorState
	docResourceChanges
	docConfiguration
	docVariables
	docErrored
	docComplete
	docDeferredChanges
)

var documentKeys = newKeyTable([]string{
	docFormatVersion:    "format_version",
	docTerraformVersion: "terraform_version",
	docValues:           "values",
	docPlannedValues:    "planned_values",
	docPriorState:       "prior_state",
	docResourceChanges:  "resource_changes",
	docConfiguration:    "configuration",
	docVariables:        "variables",
	docErrored:          "errored",
	docComplete:         "complete",
	docDeferredChanges:  "deferred_changes",
})

// prior_state, and a state's values (values, planned_values, prior_state.values).
const (
	priorValues = iota
)

var priorStateKeys = newKeyTable([]string{priorValues: "values"})

const (
	valuesRootModule = iota
)

var stateValuesKeys = newKeyTable([]string{valuesRootModule: "root_module"})

// A module of a state's values.
const (
	moduleResources = iota
	moduleChildModules
	moduleAddress
)

var moduleKeys = newKeyTable([]string{
	moduleResources:    "resources",
	moduleChildModules: "child_modules",
	moduleAddress:      "address",
})

// A resource: of a state's values, a resource change, or a resource of the configuration.
const (
	resMode = iota
	resType
	resAddress
	resName
	resModuleAddress
	resActionReason
	resProviderName
	resPreviousAddress
	resIndex
	resDeposed
	resDeposedKey
	resValues
	resChange
)

var resourceKeys = newKeyTable([]string{
	resMode:            "mode",
	resType:            "type",
	resAddress:         "address",
	resName:            "name",
	resModuleAddress:   "module_address",
	resActionReason:    "action_reason",
	resProviderName:    "provider_name",
	resPreviousAddress: "previous_address",
	resIndex:           "index",
	resDeposed:         "deposed",
	resDeposedKey:      "deposed_key",
	resValues:          "values",
	resChange:          "change",
})

// A resource change's change.
const (
	changeActions = iota
	changeBefore
	changeAfter
	changeAfterUnknown
)

var changeKeys = newKeyTable([]string{
	changeActions:      "actions",
	changeBefore:       "before",
	changeAfter:        "after",
	changeAfterUnknown: "after_unknown",
})

// The configuration.
const (
	configProviderConfig = iota
	configRootModule
)

var configurationKeys = newKeyTable([]string{
	configProviderConfig: "provider_config",
	configRootModule:     "root_module",
})

// A module of the configuration.
const (
	cmResources = iota
	cmOutputs
	cmModuleCalls
)

var configModuleKeys = newKeyTable([]string{
	cmResources:   "resources",
	cmOutputs:     "outputs",
	cmModuleCalls: "module_calls",
})

// A module call of the configuration.
const (
	callSource = iota
	callExpressions
	callModule
)

var moduleCallKeys = newKeyTable([]string{
	callSource:      "source",
	callExpressions: "expressions",
	callModule:      "module",
})

// readKeys is every key of every table: the keys fastDoc.other rejects in another case.
var readKeys = unionKeys(documentKeys, priorStateKeys, stateValuesKeys, moduleKeys, resourceKeys, changeKeys,
	configurationKeys, configModuleKeys, moduleCallKeys)

// maxKeyLen bounds the length of a key in a table.
const maxKeyLen = 31

// keyTable finds a key's position in one object's table. A Go switch over the strings costs a few
// comparisons; so does find, which looks only at the keys of the same length.
type keyTable struct {
	keys  []string
	byLen [maxKeyLen + 1][]uint8 // the positions of the keys of each length
}

func newKeyTable(keys []string) *keyTable {
	t := &keyTable{keys: keys}
	for i, k := range keys {
		if len(k) <= maxKeyLen { // a longer key would never be found: TestKeyTablesFindEveryKey
			t.byLen[len(k)] = append(t.byLen[len(k)], uint8(i))
		}
	}
	return t
}

// find returns the position of key in the table, or -1.
func (t *keyTable) find(key []byte) int {
	if len(key) > maxKeyLen {
		return -1
	}
	for _, i := range t.byLen[len(key)] {
		if t.keys[i] == string(key) {
			return int(i)
		}
	}
	return -1
}

func unionKeys(tables ...*keyTable) []string {
	var all []string
	seen := map[string]bool{}
	for _, t := range tables {
		for _, k := range t.keys {
			if !seen[k] {
				seen[k] = true
				all = append(all, k)
			}
		}
	}
	return all
}
