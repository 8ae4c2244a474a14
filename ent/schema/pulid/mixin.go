package pulid

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// Mixin gives a schema an "id" field of type ID with the given prefix.
type Mixin struct {
	mixin.Schema
	prefix string
}

// MixinWithPrefix returns the ID mixin for a type whose IDs start with prefix.
func MixinWithPrefix(prefix string) Mixin { return Mixin{prefix: prefix} }

// Fields implements ent.Mixin.
func (m Mixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").
			GoType(ID("")).
			MaxLen(64).
			NotEmpty().
			Immutable().
			DefaultFunc(func() ID { return New(m.prefix) }),
	}
}

// Annotation records the prefix of a type for the generated IDToType.
type Annotation struct {
	Prefix string
}

// Name implements schema.Annotation.
func (Annotation) Name() string { return "PULID" }

// Annotations implements ent.Mixin.
func (m Mixin) Annotations() []schema.Annotation {
	return []schema.Annotation{Annotation{Prefix: m.prefix}}
}
