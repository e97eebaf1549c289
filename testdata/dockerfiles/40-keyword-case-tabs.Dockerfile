from	alpine:3.20	as	Base
FrOm base
  copy  --FROM=x /a /b
