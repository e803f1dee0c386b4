import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, validateSync } from 'class-validator';
import type { ValidatorOptions } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import type { ClassConstructor } from 'class-transformer';
import { FieldError, RequestValidationError } from '../errors/request-validation.error';

const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
};

/**
 * Validates every DTO: unknown fields are refused (not stripped), so a typo or a smuggled
 * `__proto__` is a 400, and a body that is not a JSON object never reaches a DTO.
 *
 * A body is checked here rather than by Nest's pipe, which walks every value for prototype keys,
 * sparse arrays and binary values before and after class-transformer: a body is parsed JSON, which
 * holds none of them (the JSON parser refuses `__proto__`), and those walks were a tenth of a
 * create's CPU (ADR 025). Query strings and path parameters keep Nest's pipe.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({ ...VALIDATOR_OPTIONS, transform: true, exceptionFactory: validationFailure });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body') return super.transform(value, metadata);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RequestValidationError([{ field: '', message: 'the body must be a JSON object' }]);
    }
    if (!metadata.metatype || !this.toValidate(metadata)) return value;
    refuseUndeclaredKeys(value, metadata.metatype);
    const dto: object = plainToInstance(metadata.metatype as ClassConstructor<object>, value);
    const errors = this.validate(dto, VALIDATOR_OPTIONS);
    if (errors.length > 0) throw validationFailure(errors);
    return dto;
  }

  /** Our DTOs have no asynchronous rules, so the check needs no promise per rule and field. */
  protected override validate(object: object, validatorOptions?: ValidatorOptions): ValidationError[] {
    return validateSync(object, validatorOptions);
  }
}

function validationFailure(errors: ValidationError[]): RequestValidationError {
  return new RequestValidationError(errors.flatMap((error) => fieldErrors(error)));
}

type Dto = abstract new (...args: never[]) => unknown;

/** Each DTO's declared properties, read once from class-validator's metadata. */
const declaredProperties = new WeakMap<Dto, ReadonlySet<string>>();

function declaredPropertiesOf(dto: Dto): ReadonlySet<string> {
  let declared = declaredProperties.get(dto);
  if (!declared) {
    declared = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(dto, '', true, false)
        .map((validation) => validation.propertyName),
    );
    declaredProperties.set(dto, declared);
  }
  return declared;
}

/**
 * class-transformer silently skips keys that name a method of Object.prototype (`toString`,
 * `constructor`, ...), so the whitelist never sees them; they are checked against the DTO here.
 */
function refuseUndeclaredKeys(body: object, dto: Dto): void {
  const declared = declaredPropertiesOf(dto);
  const undeclared = Object.keys(body).filter((key) => !declared.has(key));
  if (undeclared.length > 0) {
    throw new RequestValidationError(
      undeclared.map((key) => ({ field: key, message: `property ${key} should not exist` })),
    );
  }
}

function fieldErrors(error: ValidationError, parent = ''): FieldError[] {
  const field = parent ? `${parent}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
  return [...own, ...(error.children ?? []).flatMap((child) => fieldErrors(child, field))];
}
