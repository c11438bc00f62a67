// The YAML dialect Kubernetes tooling reads (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1 booleans
// and octals (`yes` is true, `010` is 8), but timestamps and "22:22"-style sexagesimal numbers stay
// strings, because decoding into JSON keeps them as text. The `yaml` package's 1.1 schema would turn
// them into Dates and base-60 numbers, silently changing a ConfigMap's data.
import type { Tags } from 'yaml';

/** Drops the YAML 1.1 tags Kubernetes does not resolve (timestamps, sexagesimal ints and floats). */
export function kubernetesYamlTags(tags: Tags): Tags {
  return tags.filter((t) => {
    if (typeof t === 'string') return t !== 'timestamp' && t !== 'intTime' && t !== 'floatTime';
    if (t.tag === 'tag:yaml.org,2002:timestamp') return false;
    return !((t.tag === 'tag:yaml.org,2002:int' || t.tag === 'tag:yaml.org,2002:float') && t.format === 'TIME');
  });
}
