import { input, labelText } from "./ui";

/** A filter's select: its label, "any" (empty) first, then the options. */
export function FilterSelect(props: {
  id: string;
  label: string;
  any: string;
  value: string | undefined;
  onChange: (e: { target: { value: string } }) => void;
  options: { value: string; label: string }[];
}) {
  return (
    <div>
      <label htmlFor={props.id} className={labelText}>
        {props.label}
      </label>
      <select id={props.id} className={input} value={props.value ?? ""} onChange={props.onChange}>
        <option value="">{props.any}</option>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
